"""The simulator: authorization and routing decisions per service-to-service edge, before vs after."""
