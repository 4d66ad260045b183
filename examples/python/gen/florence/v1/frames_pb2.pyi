from florence.v1 import image_pb2 as _image_pb2
from florence.v1 import results_pb2 as _results_pb2
from florence.v1 import task_pb2 as _task_pb2
from google.rpc import error_details_pb2 as _error_details_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BackpressureMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKPRESSURE_MODE_UNSPECIFIED: _ClassVar[BackpressureMode]
    BACKPRESSURE_MODE_QUEUE: _ClassVar[BackpressureMode]
    BACKPRESSURE_MODE_LATEST: _ClassVar[BackpressureMode]
BACKPRESSURE_MODE_UNSPECIFIED: BackpressureMode
BACKPRESSURE_MODE_QUEUE: BackpressureMode
BACKPRESSURE_MODE_LATEST: BackpressureMode

class StreamFramesRequest(_message.Message):
    __slots__ = ("config", "frame")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    config: StreamConfig
    frame: Frame
    def __init__(self, config: _Optional[_Union[StreamConfig, _Mapping]] = ..., frame: _Optional[_Union[Frame, _Mapping]] = ...) -> None: ...

class StreamConfig(_message.Message):
    __slots__ = ("task", "options", "backpressure", "max_in_flight", "model", "change_threshold")
    TASK_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKPRESSURE_FIELD_NUMBER: _ClassVar[int]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.TaskInput
    options: _task_pb2.GenerationOptions
    backpressure: BackpressureMode
    max_in_flight: int
    model: str
    change_threshold: float
    def __init__(self, task: _Optional[_Union[_task_pb2.TaskInput, _Mapping]] = ..., options: _Optional[_Union[_task_pb2.GenerationOptions, _Mapping]] = ..., backpressure: _Optional[_Union[BackpressureMode, str]] = ..., max_in_flight: _Optional[int] = ..., model: _Optional[str] = ..., change_threshold: _Optional[float] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("frame_id", "timestamp_us", "image", "task")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_US_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    frame_id: int
    timestamp_us: int
    image: _image_pb2.Image
    task: _task_pb2.TaskInput
    def __init__(self, frame_id: _Optional[int] = ..., timestamp_us: _Optional[int] = ..., image: _Optional[_Union[_image_pb2.Image, _Mapping]] = ..., task: _Optional[_Union[_task_pb2.TaskInput, _Mapping]] = ...) -> None: ...

class StreamFramesResponse(_message.Message):
    __slots__ = ("frame_id", "timestamp_us", "task", "timings", "result", "skipped", "error", "reused")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_US_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    frame_id: int
    timestamp_us: int
    task: _task_pb2.Task
    timings: _task_pb2.Timings
    result: _results_pb2.TaskResult
    skipped: FrameSkipped
    error: FrameError
    reused: FrameReused
    def __init__(self, frame_id: _Optional[int] = ..., timestamp_us: _Optional[int] = ..., task: _Optional[_Union[_task_pb2.Task, str]] = ..., timings: _Optional[_Union[_task_pb2.Timings, _Mapping]] = ..., result: _Optional[_Union[_results_pb2.TaskResult, _Mapping]] = ..., skipped: _Optional[_Union[FrameSkipped, _Mapping]] = ..., error: _Optional[_Union[FrameError, _Mapping]] = ..., reused: _Optional[_Union[FrameReused, _Mapping]] = ...) -> None: ...

class FrameReused(_message.Message):
    __slots__ = ("frame_id", "difference")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    frame_id: int
    difference: float
    def __init__(self, frame_id: _Optional[int] = ..., difference: _Optional[float] = ...) -> None: ...

class FrameSkipped(_message.Message):
    __slots__ = ("reason", "superseded_by")
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    reason: str
    superseded_by: int
    def __init__(self, reason: _Optional[str] = ..., superseded_by: _Optional[int] = ...) -> None: ...

class FrameError(_message.Message):
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
