from celery import shared_task

from surveys.services.itembank import load_item_bank


@shared_task(name="surveys.load_item_bank", acks_late=True)
def load_item_bank_task() -> int:
    return load_item_bank().total
