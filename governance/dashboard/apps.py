from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "governance.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # Registers the gate verdict and the checklist on the deployment page's overview tab.
        from governance.dashboard import deployment_panels, trend_panels  # noqa: F401
