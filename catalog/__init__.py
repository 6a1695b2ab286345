"""The catalogue: the shop's products and their prices. It publishes every change buyers must know of."""
