from florence.v1 import frames_pb2 as _frames_pb2
from florence.v1 import geometry_pb2 as _geometry_pb2
from florence.v1 import image_pb2 as _image_pb2
from florence.v1 import results_pb2 as _results_pb2
from florence.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaptionGranularity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPTION_GRANULARITY_UNSPECIFIED: _ClassVar[CaptionGranularity]
    CAPTION_GRANULARITY_NORMAL: _ClassVar[CaptionGranularity]
    CAPTION_GRANULARITY_DETAILED: _ClassVar[CaptionGranularity]
    CAPTION_GRANULARITY_VERY_DETAILED: _ClassVar[CaptionGranularity]

class DetectionLabelsMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DETECTION_LABELS_MODE_UNSPECIFIED: _ClassVar[DetectionLabelsMode]
    DETECTION_LABELS_MODE_CLASSES: _ClassVar[DetectionLabelsMode]
    DETECTION_LABELS_MODE_CAPTIONS: _ClassVar[DetectionLabelsMode]
    DETECTION_LABELS_MODE_ROIS: _ClassVar[DetectionLabelsMode]
CAPTION_GRANULARITY_UNSPECIFIED: CaptionGranularity
CAPTION_GRANULARITY_NORMAL: CaptionGranularity
CAPTION_GRANULARITY_DETAILED: CaptionGranularity
CAPTION_GRANULARITY_VERY_DETAILED: CaptionGranularity
DETECTION_LABELS_MODE_UNSPECIFIED: DetectionLabelsMode
DETECTION_LABELS_MODE_CLASSES: DetectionLabelsMode
DETECTION_LABELS_MODE_CAPTIONS: DetectionLabelsMode
DETECTION_LABELS_MODE_ROIS: DetectionLabelsMode

class CaptionImageRequest(_message.Message):
    __slots__ = ("images", "granularity", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    granularity: CaptionGranularity
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., granularity: _Optional[_Union[CaptionGranularity, str]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class CaptionImageResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TextResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TextResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class DetectObjectsRequest(_message.Message):
    __slots__ = ("images", "labels_mode", "classes", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    LABELS_MODE_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    labels_mode: DetectionLabelsMode
    classes: _containers.RepeatedScalarFieldContainer[str]
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., labels_mode: _Optional[_Union[DetectionLabelsMode, str]] = ..., classes: _Optional[_Iterable[str]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class DetectObjectsResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.DetectionsResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.DetectionsResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class OcrImageRequest(_message.Message):
    __slots__ = ("images", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class OcrImageResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TextResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TextResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class ParseDocumentRequest(_message.Message):
    __slots__ = ("images", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class ParseDocumentResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.OcrResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.OcrResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class GroundPhraseRequest(_message.Message):
    __slots__ = ("images", "phrase", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    phrase: str
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., phrase: _Optional[str] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class GroundPhraseResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.DetectionsResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.DetectionsResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class SegmentPhraseRequest(_message.Message):
    __slots__ = ("images", "phrase", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    phrase: str
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., phrase: _Optional[str] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class SegmentPhraseResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.SegmentationResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.SegmentationResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class SegmentRegionRequest(_message.Message):
    __slots__ = ("images", "region", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    region: _geometry_pb2.BoundingBox
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class SegmentRegionResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.SegmentationResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.SegmentationResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class ClassifyImageRegionRequest(_message.Message):
    __slots__ = ("images", "region", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    region: _geometry_pb2.BoundingBox
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class ClassifyImageRegionResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TextResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TextResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class CaptionImageRegionRequest(_message.Message):
    __slots__ = ("images", "region", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    region: _geometry_pb2.BoundingBox
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class CaptionImageRegionResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TextResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TextResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class OcrImageRegionRequest(_message.Message):
    __slots__ = ("images", "region", "options", "model")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    region: _geometry_pb2.BoundingBox
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class OcrImageRegionResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TextResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TextResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("task", "text", "region", "images", "options", "model")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    text: str
    region: _geometry_pb2.BoundingBox
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, str]] = ..., text: _Optional[str] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TaskResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TaskResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class RunTasksRequest(_message.Message):
    __slots__ = ("image", "tasks", "options", "model")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    image: _image_pb2.Image
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskInput]
    options: _task_pb2.GenerationOptions
    model: str
    def __init__(self, image: _Optional[_Union[_image_pb2.Image, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.TaskInput, _Mapping]]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ...) -> None: ...

class RunTasksResponse(_message.Message):
    __slots__ = ("results", "timings")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_results_pb2.TaskResult]
    timings: _task_pb2.Timings
    def __init__(self, results: _Optional[_Iterable[_Union[_results_pb2.TaskResult, _Mapping]]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ...) -> None: ...

class RunStreamRequest(_message.Message):
    __slots__ = ("task", "text", "region", "images", "options", "model", "partial_interval_ms")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    text: str
    region: _geometry_pb2.BoundingBox
    images: _containers.RepeatedCompositeFieldContainer[_image_pb2.Image]
    options: _task_pb2.GenerationOptions
    model: str
    partial_interval_ms: int
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, str]] = ..., text: _Optional[str] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ..., images: _Optional[_Iterable[_Union[_image_pb2.Image, _Mapping]]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., model: _Optional[str] = ..., partial_interval_ms: _Optional[int] = ...) -> None: ...

class PartialText(_message.Message):
    __slots__ = ("image_index", "text", "generated_tokens")
    IMAGE_INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    image_index: int
    text: str
    generated_tokens: int
    def __init__(self, image_index: _Optional[int] = ..., text: _Optional[str] = ..., generated_tokens: _Optional[int] = ...) -> None: ...

class RunStreamResponse(_message.Message):
    __slots__ = ("partial", "result")
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    partial: PartialText
    result: RunResponse
    def __init__(self, partial: _Optional[_Union[PartialText, _Mapping]] = ..., result: _Optional[_Union[RunResponse, _Mapping]] = ...) -> None: ...
