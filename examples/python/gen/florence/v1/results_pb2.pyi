from florence.v1 import geometry_pb2 as _geometry_pb2
from florence.v1 import image_pb2 as _image_pb2
from florence.v1 import task_pb2 as _task_pb2
from google.rpc import error_details_pb2 as _error_details_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TextResult(_message.Message):
    __slots__ = ("text", "confidence", "task", "image_size", "raw_text", "generated_tokens", "error")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    text: str
    confidence: float
    task: _task_pb2.Task
    image_size: _image_pb2.ImageSize
    raw_text: str
    generated_tokens: int
    error: ImageError
    def __init__(self, text: _Optional[str] = ..., confidence: _Optional[float] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., raw_text: _Optional[str] = ..., generated_tokens: _Optional[int] = ..., error: _Optional[_Union[ImageError, _Mapping]] = ...) -> None: ...

class Detection(_message.Message):
    __slots__ = ("label", "box", "confidence")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    label: str
    box: _geometry_pb2.BoundingBox
    confidence: float
    def __init__(self, label: _Optional[str] = ..., box: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class DetectionsResult(_message.Message):
    __slots__ = ("detections", "task", "image_size", "raw_text", "generated_tokens", "error")
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    detections: _containers.RepeatedCompositeFieldContainer[Detection]
    task: _task_pb2.Task
    image_size: _image_pb2.ImageSize
    raw_text: str
    generated_tokens: int
    error: ImageError
    def __init__(self, detections: _Optional[_Iterable[_Union[Detection, _Mapping]]] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., raw_text: _Optional[str] = ..., generated_tokens: _Optional[int] = ..., error: _Optional[_Union[ImageError, _Mapping]] = ...) -> None: ...

class SegmentedInstance(_message.Message):
    __slots__ = ("label", "polygons", "box", "mask", "confidence")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    POLYGONS_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    label: str
    polygons: _containers.RepeatedCompositeFieldContainer[_geometry_pb2.Polygon]
    box: _geometry_pb2.BoundingBox
    mask: _geometry_pb2.RleMask
    confidence: float
    def __init__(self, label: _Optional[str] = ..., polygons: _Optional[_Iterable[_Union[_geometry_pb2.Polygon, _Mapping]]] = ..., box: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., mask: _Optional[_Union[_geometry_pb2.RleMask, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class SegmentationResult(_message.Message):
    __slots__ = ("instances", "task", "image_size", "raw_text", "generated_tokens", "error")
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[SegmentedInstance]
    task: _task_pb2.Task
    image_size: _image_pb2.ImageSize
    raw_text: str
    generated_tokens: int
    error: ImageError
    def __init__(self, instances: _Optional[_Iterable[_Union[SegmentedInstance, _Mapping]]] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., raw_text: _Optional[str] = ..., generated_tokens: _Optional[int] = ..., error: _Optional[_Union[ImageError, _Mapping]] = ...) -> None: ...

class OcrLine(_message.Message):
    __slots__ = ("text", "quad", "box", "confidence")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    QUAD_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    text: str
    quad: _containers.RepeatedCompositeFieldContainer[_geometry_pb2.Point]
    box: _geometry_pb2.BoundingBox
    confidence: float
    def __init__(self, text: _Optional[str] = ..., quad: _Optional[_Iterable[_Union[_geometry_pb2.Point, _Mapping]]] = ..., box: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class OcrResult(_message.Message):
    __slots__ = ("lines", "task", "image_size", "raw_text", "generated_tokens", "error")
    LINES_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[OcrLine]
    task: _task_pb2.Task
    image_size: _image_pb2.ImageSize
    raw_text: str
    generated_tokens: int
    error: ImageError
    def __init__(self, lines: _Optional[_Iterable[_Union[OcrLine, _Mapping]]] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., raw_text: _Optional[str] = ..., generated_tokens: _Optional[int] = ..., error: _Optional[_Union[ImageError, _Mapping]] = ...) -> None: ...

class OpenVocabularyResult(_message.Message):
    __slots__ = ("detections", "instances", "task", "image_size", "raw_text", "generated_tokens", "error")
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    detections: _containers.RepeatedCompositeFieldContainer[Detection]
    instances: _containers.RepeatedCompositeFieldContainer[SegmentedInstance]
    task: _task_pb2.Task
    image_size: _image_pb2.ImageSize
    raw_text: str
    generated_tokens: int
    error: ImageError
    def __init__(self, detections: _Optional[_Iterable[_Union[Detection, _Mapping]]] = ..., instances: _Optional[_Iterable[_Union[SegmentedInstance, _Mapping]]] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., raw_text: _Optional[str] = ..., generated_tokens: _Optional[int] = ..., error: _Optional[_Union[ImageError, _Mapping]] = ...) -> None: ...

class TaskResult(_message.Message):
    __slots__ = ("text", "detections", "segmentation", "ocr", "open_vocabulary")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    SEGMENTATION_FIELD_NUMBER: _ClassVar[int]
    OCR_FIELD_NUMBER: _ClassVar[int]
    OPEN_VOCABULARY_FIELD_NUMBER: _ClassVar[int]
    text: TextResult
    detections: DetectionsResult
    segmentation: SegmentationResult
    ocr: OcrResult
    open_vocabulary: OpenVocabularyResult
    def __init__(self, text: _Optional[_Union[TextResult, _Mapping]] = ..., detections: _Optional[_Union[DetectionsResult, _Mapping]] = ..., segmentation: _Optional[_Union[SegmentationResult, _Mapping]] = ..., ocr: _Optional[_Union[OcrResult, _Mapping]] = ..., open_vocabulary: _Optional[_Union[OpenVocabularyResult, _Mapping]] = ...) -> None: ...

class ImageError(_message.Message):
    __slots__ = ("code", "message", "reason", "field_violations")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    reason: str
    field_violations: _containers.RepeatedCompositeFieldContainer[_error_details_pb2.BadRequest.FieldViolation]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., reason: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[_error_details_pb2.BadRequest.FieldViolation, _Mapping]]] = ...) -> None: ...
