app_name = "liability"

urlpatterns: list = []
