from .advise.diagnose import infer_task  # replaced by the metrics branch

__all__ = ["infer_task"]
