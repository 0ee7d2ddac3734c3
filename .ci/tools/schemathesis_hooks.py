"""schemathesis hooks for .ci/run (loaded through SCHEMATHESIS_HOOKS).

In GraphQL mode schemathesis judges a resolver error by its `extensions.code`: codes it
knows from Apollo Server (BAD_USER_INPUT, ...) mean "the caller's fault", anything else
"the server failed". Colophon documents its own codes in schema.graphql and the README:
the ones below are answers to the request (the thing is missing, the caller may not, the
write conflicts), like REST's 401/403/404/409/412. INTERNAL_SERVER_ERROR and errors
without a code still count as server errors.
"""

from schemathesis.specs.graphql import validation

COLOPHON_CLIENT_ERROR_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT"})

validation.CLIENT_ERROR_MARKERS = validation.CLIENT_ERROR_MARKERS | COLOPHON_CLIENT_ERROR_CODES
