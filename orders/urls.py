"""Routes of the orders API, mounted under /api/."""

from rest_framework.routers import SimpleRouter

from .price_list import ProductViewSet
from .views import OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("products", ProductViewSet, basename="product")
urlpatterns = router.urls
