app_name = "bias"

urlpatterns: list = []
