from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "governance.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from governance.inventory import events

        events.register()  # how its ledger events read
