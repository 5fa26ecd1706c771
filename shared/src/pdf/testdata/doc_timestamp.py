# Adds a document timestamp (ETSI.RFC3161) with pyHanko's in-process dummy TSA.
import sys
from asn1crypto import x509, keys, pem
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

def load(path):
    data = open(path, 'rb').read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data

src, dst, cert_path, key_path = sys.argv[1:5]
tsa_cert = x509.Certificate.load(load(cert_path))
tsa_key = keys.PrivateKeyInfo.load(load(key_path))
stamper = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key)
with open(src, 'rb') as inf:
    w = IncrementalPdfFileWriter(inf)
    with open(dst, 'wb') as outf:
        signers.PdfTimeStamper(stamper).timestamp_pdf(w, 'sha256', output=outf)
print("ok")
