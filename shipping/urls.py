"""Routes of the shipments API, mounted under /api/."""

from rest_framework.routers import SimpleRouter

from .api import ShipmentViewSet

router = SimpleRouter()
router.register("shipments", ShipmentViewSet, basename="shipment")
urlpatterns = router.urls
