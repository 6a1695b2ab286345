"""Routes of the orders API, mounted under /api/."""

from rest_framework.routers import SimpleRouter

from .views import OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
urlpatterns = router.urls
