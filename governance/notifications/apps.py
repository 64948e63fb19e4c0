from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "governance.notifications"
    label = "notifications"
    verbose_name = "Notifications"
