"""Trained weights out of a Caffe ``.caffemodel``, read by the protobuf runtime.

A ``.caffemodel`` is one serialized ``caffe.NetParameter`` message. It is
parsed here by the ``protobuf`` package (already installed for ``onnx``) with
a reduced copy of Caffe's schema: only the messages and fields that carry
layer names and their weight blobs, under the numbers BVLC Caffe's
``src/caffe/proto/caffe.proto`` gives them. Every other field of a real file
(convolution parameters, learning rates...) is kept by protobuf as an
unknown field and ignored. Both layouts Caffe ever wrote are read: the
current ``layer`` list (``LayerParameter``, field 100) and the deprecated
``layers`` list (``V1LayerParameter``, field 2) of files trained before 2015,
with blob shapes from ``shape`` or from the legacy ``num/channels/height/width``.

The schema is built at run time as a ``FileDescriptorProto`` in a private
descriptor pool rather than shipped as ``protoc``-generated code: generated
``_pb2`` modules are tied to the protobuf version that generated them, a
descriptor is not (``message_factory.GetMessages`` exists from protobuf 3 to
7). It is built on the first read, never at import.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from prisma_abu.errors import ModelError

__all__ = ["read_caffemodel", "caffe_message_classes", "V1_TYPES"]

#: ``V1LayerParameter.LayerType`` numbers of the layers that hold weights.
V1_TYPES = {"Convolution": 4, "InnerProduct": 14}

# message -> fields (name, number, type, repeated, packed); field numbers from
# BVLC caffe.proto. A type in capitals is a protobuf scalar, else a message.
_SCHEMA: dict[str, tuple[tuple[str, int, str, bool, bool], ...]] = {
    "BlobShape": (("dim", 1, "INT64", True, True),),
    "BlobProto": (
        ("shape", 7, "BlobShape", False, False),
        ("data", 5, "FLOAT", True, True),
        ("double_data", 8, "DOUBLE", True, True),
        ("num", 1, "INT32", False, False),
        ("channels", 2, "INT32", False, False),
        ("height", 3, "INT32", False, False),
        ("width", 4, "INT32", False, False),
    ),
    "LayerParameter": (
        ("name", 1, "STRING", False, False),
        ("type", 2, "STRING", False, False),
        ("blobs", 7, "BlobProto", True, False),
    ),
    "V1LayerParameter": (
        ("name", 4, "STRING", False, False),
        ("type", 5, "INT32", False, False),  # an enum in caffe.proto; same wire type
        ("blobs", 6, "BlobProto", True, False),
    ),
    "NetParameter": (
        ("name", 1, "STRING", False, False),
        ("layer", 100, "LayerParameter", True, False),
        ("layers", 2, "V1LayerParameter", True, False),
    ),
}


@functools.lru_cache(maxsize=1)
def caffe_message_classes() -> dict[str, Any]:
    """The reduced Caffe schema as protobuf message classes.

    Returns
    -------
    dict
        ``{"NetParameter": cls, "LayerParameter": cls, "V1LayerParameter": cls,
        "BlobProto": cls, "BlobShape": cls}``; enough to read and to write the
        weights of a ``.caffemodel`` (tests write their own files with them).
    """
    from google.protobuf import descriptor_pb2, message_factory

    field_type = descriptor_pb2.FieldDescriptorProto
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="prisma_abu/caffe_weights.proto", package="caffe", syntax="proto2"
    )
    for message, fields in _SCHEMA.items():
        proto = file_proto.message_type.add(name=message)
        for name, number, kind, repeated, packed in fields:
            field = proto.field.add(name=name, number=number)
            field.label = field_type.LABEL_REPEATED if repeated else field_type.LABEL_OPTIONAL
            if kind.isupper():
                field.type = getattr(field_type, f"TYPE_{kind}")
            else:
                field.type = field_type.TYPE_MESSAGE
                field.type_name = f".caffe.{kind}"
            if packed:
                field.options.packed = True
    classes = message_factory.GetMessages([file_proto])
    return {message: classes[f"caffe.{message}"] for message in _SCHEMA}


def read_caffemodel(path: str | os.PathLike[str], *, what: str) -> dict[str, list[np.ndarray]]:
    """The weight blobs of every layer of a ``.caffemodel``.

    Parameters
    ----------
    path : path-like
        A binary ``.caffemodel`` (not a ``.prototxt``).
    what : str
        Named in messages, e.g. ``"bvlc_googlenet weights"``.

    Returns
    -------
    dict of str to list of ndarray
        ``{layer name: [blob, ...]}`` in file order, each blob a float32 array
        of the blob's shape (a convolution: ``[(O, I, kh, kw) weight, (O,) or
        (1, 1, 1, O) bias]``). Layers without blobs are left out.

    Raises
    ------
    ModelError
        Missing, unreadable or not a Caffe model, or a blob whose data does not
        fill its shape.
    """
    from google.protobuf.message import DecodeError

    from prisma_abu.neural.modelfiles import model_file

    path = model_file(path, what, expected="a .caffemodel file")

    net = caffe_message_classes()["NetParameter"]()
    try:
        net.ParseFromString(path.read_bytes())
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ModelError(
            f"cannot read {what} from {path}: expected a binary Caffe .caffemodel, "
            f"got bytes protobuf cannot parse ({_first_line(exc)})"
        ) from exc
    except OSError as exc:
        raise ModelError(f"cannot read {what} from {path}: {exc}") from exc
    layers: dict[str, list[np.ndarray]] = {}
    for layer in (*net.layer, *net.layers):
        if layer.blobs and layer.name not in layers:
            layers[layer.name] = [_blob_array(blob, f"{what} {path}: layer {layer.name!r}") for blob in layer.blobs]
    if not layers:
        raise ModelError(
            f"{what} {path}: expected a Caffe .caffemodel with trained layers, got a file with none"
        )
    return layers


def _blob_array(blob: Any, where: str) -> np.ndarray:
    """One ``BlobProto`` as a float32 array of its shape, the shape checked against the values first."""
    from prisma_abu.neural.modelfiles import check_elements

    if blob.HasField("shape"):
        shape = tuple(int(dim) for dim in blob.shape.dim)
    else:
        shape = (blob.num, blob.channels, blob.height, blob.width)
    values = blob.data if len(blob.data) else blob.double_data
    check_elements(shape, len(values), f"{where}: a blob")
    return np.array(values, dtype=np.float32).reshape(shape)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
