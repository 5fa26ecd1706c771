"""Reading a CloudFormation/SAM template as plain YAML for the template checks: the short
intrinsics (!Ref, !Sub, !GetAtt, ...) read as their plain argument."""
import yaml


class Loader(yaml.SafeLoader):
    """CloudFormation's short intrinsics read as plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


Loader.add_multi_constructor("!", _any_tag)


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=Loader)
