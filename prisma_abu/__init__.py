"""prisma_abu: photos into paintings, the way abu's Prisma did."""
__version__ = "0.1.0"
