"""Contract-testing kit: rules, strategies and checks built from openapi.yaml."""
