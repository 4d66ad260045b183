from florence.v1 import image_pb2 as _image_pb2
from florence.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_STATE_UNSPECIFIED: _ClassVar[ModelState]
    MODEL_STATE_UNLOADED: _ClassVar[ModelState]
    MODEL_STATE_LOADING: _ClassVar[ModelState]
    MODEL_STATE_LOADED: _ClassVar[ModelState]
    MODEL_STATE_FAILED: _ClassVar[ModelState]

class ModelDtype(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_DTYPE_UNSPECIFIED: _ClassVar[ModelDtype]
    MODEL_DTYPE_FP32: _ClassVar[ModelDtype]
    MODEL_DTYPE_FP16: _ClassVar[ModelDtype]
    MODEL_DTYPE_Q8: _ClassVar[ModelDtype]
    MODEL_DTYPE_INT8: _ClassVar[ModelDtype]
    MODEL_DTYPE_UINT8: _ClassVar[ModelDtype]
    MODEL_DTYPE_Q4: _ClassVar[ModelDtype]
    MODEL_DTYPE_Q4F16: _ClassVar[ModelDtype]
    MODEL_DTYPE_BNB4: _ClassVar[ModelDtype]

class ExecutionProvider(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_PROVIDER_UNSPECIFIED: _ClassVar[ExecutionProvider]
    EXECUTION_PROVIDER_CPU: _ClassVar[ExecutionProvider]
    EXECUTION_PROVIDER_CUDA: _ClassVar[ExecutionProvider]
    EXECUTION_PROVIDER_WEBGPU: _ClassVar[ExecutionProvider]
MODEL_STATE_UNSPECIFIED: ModelState
MODEL_STATE_UNLOADED: ModelState
MODEL_STATE_LOADING: ModelState
MODEL_STATE_LOADED: ModelState
MODEL_STATE_FAILED: ModelState
MODEL_DTYPE_UNSPECIFIED: ModelDtype
MODEL_DTYPE_FP32: ModelDtype
MODEL_DTYPE_FP16: ModelDtype
MODEL_DTYPE_Q8: ModelDtype
MODEL_DTYPE_INT8: ModelDtype
MODEL_DTYPE_UINT8: ModelDtype
MODEL_DTYPE_Q4: ModelDtype
MODEL_DTYPE_Q4F16: ModelDtype
MODEL_DTYPE_BNB4: ModelDtype
EXECUTION_PROVIDER_UNSPECIFIED: ExecutionProvider
EXECUTION_PROVIDER_CPU: ExecutionProvider
EXECUTION_PROVIDER_CUDA: ExecutionProvider
EXECUTION_PROVIDER_WEBGPU: ExecutionProvider

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "limits")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    limits: ServerLimits
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., limits: _Optional[_Union[ServerLimits, _Mapping]] = ...) -> None: ...

class LoadModelRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class LoadModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ModelInfo
    def __init__(self, model: _Optional[_Union[ModelInfo, _Mapping]] = ...) -> None: ...

class UnloadModelRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class UnloadModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ModelInfo
    def __init__(self, model: _Optional[_Union[ModelInfo, _Mapping]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("id", "path", "tasks", "dtype", "execution_provider", "image_size", "vocab_size", "decoder_layers", "max_prompt_tokens", "stats", "max_new_tokens", "max_text_bytes", "name", "state", "default", "load_error", "loads", "unloads")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    VOCAB_SIZE_FIELD_NUMBER: _ClassVar[int]
    DECODER_LAYERS_FIELD_NUMBER: _ClassVar[int]
    MAX_PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_TEXT_BYTES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    LOAD_ERROR_FIELD_NUMBER: _ClassVar[int]
    LOADS_FIELD_NUMBER: _ClassVar[int]
    UNLOADS_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    tasks: _containers.RepeatedScalarFieldContainer[_task_pb2.Task]
    dtype: ModelDtype
    execution_provider: ExecutionProvider
    image_size: _image_pb2.ImageSize
    vocab_size: int
    decoder_layers: int
    max_prompt_tokens: int
    stats: ModelStats
    max_new_tokens: int
    max_text_bytes: int
    name: str
    state: ModelState
    default: bool
    load_error: str
    loads: int
    unloads: int
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.Task, str]]] = ..., dtype: _Optional[_Union[ModelDtype, str]] = ..., execution_provider: _Optional[_Union[ExecutionProvider, str]] = ..., image_size: _Optional[_Union[_image_pb2.ImageSize, _Mapping]] = ..., vocab_size: _Optional[int] = ..., decoder_layers: _Optional[int] = ..., max_prompt_tokens: _Optional[int] = ..., stats: _Optional[_Union[ModelStats, _Mapping]] = ..., max_new_tokens: _Optional[int] = ..., max_text_bytes: _Optional[int] = ..., name: _Optional[str] = ..., state: _Optional[_Union[ModelState, str]] = ..., default: _Optional[bool] = ..., load_error: _Optional[str] = ..., loads: _Optional[int] = ..., unloads: _Optional[int] = ...) -> None: ...

class ModelStats(_message.Message):
    __slots__ = ("batches", "batched_items", "largest_batch", "queued_items", "decoder_steps", "decoder_rows", "vision_images", "vision_cache_hits", "vision_cache_misses", "vision_cache_evictions", "vision_cache_bytes", "vision_cache_max_bytes", "worker_restarts", "workers_available")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    BATCHED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    LARGEST_BATCH_FIELD_NUMBER: _ClassVar[int]
    QUEUED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    DECODER_STEPS_FIELD_NUMBER: _ClassVar[int]
    DECODER_ROWS_FIELD_NUMBER: _ClassVar[int]
    VISION_IMAGES_FIELD_NUMBER: _ClassVar[int]
    VISION_CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    VISION_CACHE_MISSES_FIELD_NUMBER: _ClassVar[int]
    VISION_CACHE_EVICTIONS_FIELD_NUMBER: _ClassVar[int]
    VISION_CACHE_BYTES_FIELD_NUMBER: _ClassVar[int]
    VISION_CACHE_MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    WORKER_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    batches: int
    batched_items: int
    largest_batch: int
    queued_items: int
    decoder_steps: int
    decoder_rows: int
    vision_images: int
    vision_cache_hits: int
    vision_cache_misses: int
    vision_cache_evictions: int
    vision_cache_bytes: int
    vision_cache_max_bytes: int
    worker_restarts: int
    workers_available: int
    def __init__(self, batches: _Optional[int] = ..., batched_items: _Optional[int] = ..., largest_batch: _Optional[int] = ..., queued_items: _Optional[int] = ..., decoder_steps: _Optional[int] = ..., decoder_rows: _Optional[int] = ..., vision_images: _Optional[int] = ..., vision_cache_hits: _Optional[int] = ..., vision_cache_misses: _Optional[int] = ..., vision_cache_evictions: _Optional[int] = ..., vision_cache_bytes: _Optional[int] = ..., vision_cache_max_bytes: _Optional[int] = ..., worker_restarts: _Optional[int] = ..., workers_available: _Optional[int] = ...) -> None: ...

class ServerLimits(_message.Message):
    __slots__ = ("read_max_bytes", "max_images_per_request", "max_tasks_per_request", "max_concurrent_requests", "max_queued_requests", "max_concurrent_streams", "max_frames_in_flight_per_stream", "max_num_beams", "max_new_tokens", "max_request_megapixels")
    READ_MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_IMAGES_PER_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MAX_TASKS_PER_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_STREAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_FRAMES_IN_FLIGHT_PER_STREAM_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_BEAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_MEGAPIXELS_FIELD_NUMBER: _ClassVar[int]
    read_max_bytes: int
    max_images_per_request: int
    max_tasks_per_request: int
    max_concurrent_requests: int
    max_queued_requests: int
    max_concurrent_streams: int
    max_frames_in_flight_per_stream: int
    max_num_beams: int
    max_new_tokens: int
    max_request_megapixels: int
    def __init__(self, read_max_bytes: _Optional[int] = ..., max_images_per_request: _Optional[int] = ..., max_tasks_per_request: _Optional[int] = ..., max_concurrent_requests: _Optional[int] = ..., max_queued_requests: _Optional[int] = ..., max_concurrent_streams: _Optional[int] = ..., max_frames_in_flight_per_stream: _Optional[int] = ..., max_num_beams: _Optional[int] = ..., max_new_tokens: _Optional[int] = ..., max_request_megapixels: _Optional[int] = ...) -> None: ...
