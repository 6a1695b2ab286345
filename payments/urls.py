"""Routes of the payments API, mounted under /api/."""

from rest_framework.routers import SimpleRouter

from .api import PaymentViewSet

router = SimpleRouter()
router.register("payments", PaymentViewSet, basename="payment")
urlpatterns = router.urls
