{#
    dbt's own `is_incremental()`, unless the var `lint_incremental` says which branch to take.

    Only `make lint` sets it: sqlfluff compiles every model against an empty database (the `lint`
    target), where dbt would always take the full-build branch, and then once more with
    `lint_incremental: true`, so the incremental branch of every model is linted too. No run of
    the pipeline sets the var.
#}
{% macro is_incremental() -%}
    {%- set forced = lint_branch() -%}
    {%- if forced is not none and execute -%}
        {{- return(forced) -}}
    {%- endif -%}
    {{- return(dbt.is_incremental()) -}}
{%- endmacro %}


{#
    The branch `make lint` lints (true: incremental), or none outside the linter. Like dbt's own
    `is_incremental()`, parsing (before `execute`) always sees the full build.
#}
{% macro lint_branch() -%}
    {{- return(var('lint_incremental', none) if execute else none) -}}
{%- endmacro %}


{#
    The relation `adapter.get_relation()` finds, except that `make lint`'s incremental pass takes
    every relation as built: a model that reads its own or another model's earlier table (the
    journey layer, the stable customer ids, the staging views over what Python steps write) is
    then linted as it compiles on a warehouse that has them.
#}
{% macro existing_relation(database, schema, identifier) -%}
    {%- if lint_branch() -%}
        {{- return(api.Relation.create(database=database, schema=schema, identifier=identifier)) -}}
    {%- endif -%}
    {{- return(adapter.get_relation(database=database, schema=schema, identifier=identifier)) -}}
{%- endmacro %}
