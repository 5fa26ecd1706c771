//! Uploaded documents, under their tenant, by the SHA-256 of their bytes.

use std::sync::Arc;

use super::tenants::tenant_pk;
use super::{decode, encode, item, RepoError};
use crate::domain::{Document, DocumentId, TenantId};
use crate::ports::{Expect, StateStore, Write};

fn document_sk(id: &DocumentId) -> String {
    format!("DOC#{id}")
}

#[derive(Clone)]
pub struct DocumentRepo {
    state: Arc<dyn StateStore>,
}

impl DocumentRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    pub async fn get(&self, t: &TenantId, id: &DocumentId) -> Result<Option<Document>, RepoError> {
        match self.state.get(&tenant_pk(t), &document_sk(id)).await? {
            Some(item) => Ok(Some(decode(&item)?)),
            None => Ok(None),
        }
    }

    /// `false` when the document was there already (the same bytes uploaded before).
    pub async fn create(&self, doc: &Document) -> Result<bool, RepoError> {
        let write = Write::Put {
            item: item(tenant_pk(&doc.tenant), document_sk(&doc.id), encode(doc)?),
            expect: Expect::Absent,
        };
        match self
            .state
            .transact(vec![write])
            .await
            .map_err(RepoError::from)
        {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
