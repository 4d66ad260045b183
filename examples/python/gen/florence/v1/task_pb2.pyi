from florence.v1 import geometry_pb2 as _geometry_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_UNSPECIFIED: _ClassVar[Task]
    TASK_CAPTION: _ClassVar[Task]
    TASK_DETAILED_CAPTION: _ClassVar[Task]
    TASK_MORE_DETAILED_CAPTION: _ClassVar[Task]
    TASK_OBJECT_DETECTION: _ClassVar[Task]
    TASK_DENSE_REGION_CAPTION: _ClassVar[Task]
    TASK_REGION_PROPOSAL: _ClassVar[Task]
    TASK_OCR: _ClassVar[Task]
    TASK_OCR_WITH_REGION: _ClassVar[Task]
    TASK_PHRASE_GROUNDING: _ClassVar[Task]
    TASK_REFERRING_EXPRESSION_SEGMENTATION: _ClassVar[Task]
    TASK_REGION_TO_SEGMENTATION: _ClassVar[Task]
    TASK_OPEN_VOCABULARY_DETECTION: _ClassVar[Task]
    TASK_REGION_TO_CATEGORY: _ClassVar[Task]
    TASK_REGION_TO_DESCRIPTION: _ClassVar[Task]
    TASK_REGION_TO_OCR: _ClassVar[Task]
TASK_UNSPECIFIED: Task
TASK_CAPTION: Task
TASK_DETAILED_CAPTION: Task
TASK_MORE_DETAILED_CAPTION: Task
TASK_OBJECT_DETECTION: Task
TASK_DENSE_REGION_CAPTION: Task
TASK_REGION_PROPOSAL: Task
TASK_OCR: Task
TASK_OCR_WITH_REGION: Task
TASK_PHRASE_GROUNDING: Task
TASK_REFERRING_EXPRESSION_SEGMENTATION: Task
TASK_REGION_TO_SEGMENTATION: Task
TASK_OPEN_VOCABULARY_DETECTION: Task
TASK_REGION_TO_CATEGORY: Task
TASK_REGION_TO_DESCRIPTION: Task
TASK_REGION_TO_OCR: Task

class TaskInput(_message.Message):
    __slots__ = ("task", "text", "region")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    task: Task
    text: str
    region: _geometry_pb2.BoundingBox
    def __init__(self, task: _Optional[_Union[Task, str]] = ..., text: _Optional[str] = ..., region: _Optional[_Union[_geometry_pb2.BoundingBox, _Mapping]] = ...) -> None: ...

class GenerationOptions(_message.Message):
    __slots__ = ("num_beams", "max_new_tokens", "length_penalty", "early_stopping", "no_repeat_ngram_size", "min_new_tokens")
    NUM_BEAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LENGTH_PENALTY_FIELD_NUMBER: _ClassVar[int]
    EARLY_STOPPING_FIELD_NUMBER: _ClassVar[int]
    NO_REPEAT_NGRAM_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    num_beams: int
    max_new_tokens: int
    length_penalty: float
    early_stopping: bool
    no_repeat_ngram_size: int
    min_new_tokens: int
    def __init__(self, num_beams: _Optional[int] = ..., max_new_tokens: _Optional[int] = ..., length_penalty: _Optional[float] = ..., early_stopping: _Optional[bool] = ..., no_repeat_ngram_size: _Optional[int] = ..., min_new_tokens: _Optional[int] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ("queue_ms", "preprocess_ms", "vision_ms", "encoder_ms", "decoder_ms", "postprocess_ms", "model_ms", "engine_queue_ms")
    QUEUE_MS_FIELD_NUMBER: _ClassVar[int]
    PREPROCESS_MS_FIELD_NUMBER: _ClassVar[int]
    VISION_MS_FIELD_NUMBER: _ClassVar[int]
    ENCODER_MS_FIELD_NUMBER: _ClassVar[int]
    DECODER_MS_FIELD_NUMBER: _ClassVar[int]
    POSTPROCESS_MS_FIELD_NUMBER: _ClassVar[int]
    MODEL_MS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_QUEUE_MS_FIELD_NUMBER: _ClassVar[int]
    queue_ms: float
    preprocess_ms: float
    vision_ms: float
    encoder_ms: float
    decoder_ms: float
    postprocess_ms: float
    model_ms: float
    engine_queue_ms: float
    def __init__(self, queue_ms: _Optional[float] = ..., preprocess_ms: _Optional[float] = ..., vision_ms: _Optional[float] = ..., encoder_ms: _Optional[float] = ..., decoder_ms: _Optional[float] = ..., postprocess_ms: _Optional[float] = ..., model_ms: _Optional[float] = ..., engine_queue_ms: _Optional[float] = ...) -> None: ...
