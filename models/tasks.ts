/** The task table lives in core/ (the client and server read it too); re-exported for the engine's modules. */
export {
  findTask,
  isTaskName,
  type OutputKind,
  TASK_NAMES,
  TASKS,
  type TaskInputKind,
  type TaskName,
  type TaskSpec,
} from "../core/tasks.js";
