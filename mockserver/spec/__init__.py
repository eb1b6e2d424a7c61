"""The contract as the emulator reads it: loading openapi.yaml, body validation and the external rules."""
