app_name = "investment"
urlpatterns = []
