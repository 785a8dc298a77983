"""OpenAPI 3 document built from the routes' docstrings, and the documentation page that renders it.

How a route documents itself (the summary line, then `---`, then YAML per HTTP method)::

    @bp.get("/households/<uuid:household_id>")
    @require()
    def household_detail(household_id):
        \"\"\"One household with its members, aid and visits.
        ---
        get:
          tags: [households]
          summary: Household detail
          parameters:
            - {in: header, name: If-None-Match, schema: {type: string}, required: false}
          responses:
            200:
              description: The household
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      data: HouseholdDetailSchema      # a marshmallow schema class name
            404: NotFound                              # a shared response (see spec.COMMON_RESPONSES)
        \"\"\"

Path parameters are added from the URL rule when the docstring does not declare them; every operation
gets the bearer-token security unless it says `security: []` (login, refresh, health, docs).
"""
