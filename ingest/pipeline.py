"""SCRATCH STUB of the lead's pipeline."""
def process_landing_file(file: dict) -> dict:
    from .database import bootstrap
    bootstrap()
    if file["file_name"].startswith("boom"):
        raise RuntimeError("unexpected failure")
    status = "loaded" if file["file_name"].endswith(".csv") else "quarantined"
    return {"submission_id": abs(hash(file["path"])) % 1000, "status": status, "row_count": 3,
            "error_count": 0 if status == "loaded" else 2, "warning_count": 1, "reason": None}
