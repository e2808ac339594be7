from celery import shared_task

from config.queueing import enqueue_all_on_commit
from surveys.formimports import delete_stale_temp_files, run_form_import, waiting_import_ids
from surveys.services.itembank import load_item_bank


@shared_task(name="surveys.load_item_bank", acks_late=True)
def load_item_bank_task() -> int:
    return load_item_bank().total


@shared_task(name="surveys.import_form", acks_late=True)
def import_form_task(job_id: int) -> None:
    run_form_import(job_id)


@shared_task(name="surveys.requeue_waiting_imports")
def requeue_waiting_imports_task() -> int:
    waiting = waiting_import_ids()
    enqueue_all_on_commit(import_form_task, [[job_id] for job_id in waiting])
    return len(waiting)


@shared_task(name="surveys.delete_stale_temp_files")
def delete_stale_temp_files_task() -> int:
    return delete_stale_temp_files()
