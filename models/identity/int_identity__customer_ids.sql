{{ config(
    post_hook=[
        "drop table if exists {{ this.schema }}.identity_customer_id_state",
        "create table {{ this.schema }}.identity_customer_id_state as select node_id, customer_id, customer_created_at from {{ this }}",
    ]
) }}
{#-
    Stable customer ids: every identifier (node) of the graph and the customer it belongs to.

    A customer keeps its id across runs. The previous run's assignments are kept in
    identity.identity_customer_id_state (written after each build). For each component:
      - the previous customers whose identifiers it holds are candidates; a previous customer
        whose identifiers are now spread over several components (a split) stays with the
        component that holds most of them;
      - of the candidates, the oldest customer id survives; the others are merged into it;
      - a component without a candidate gets a new id.
    `change` says what happened this run: new, kept, merged (the node's customer was merged
    into another) or split (the node left its customer).
-#}
{%- set state = connect360.existing_relation(
    this.database, this.schema, 'identity_customer_id_state'
) -%}
{%- set run_at = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)" -%}

with nodes as (
    select
        node_id,
        min(identifier_type) as identifier_type
    from (
        select
            node_id,
            identifier_type
        from {{ ref('int_identity__occurrences') }}
        where node_id is not null
        union all
        -- Matched records without identifiers are nodes of the graph too.
        select
            node_id,
            identifier_type
        from {{ ref('int_identity__components') }}
    ) as all_nodes
    group by node_id
),

current_components as (
    select
        nodes.node_id,
        nodes.identifier_type,
        coalesce(components.component_id, nodes.node_id) as component_id
    from nodes
    left join {{ ref('int_identity__components') }} as components
        on nodes.node_id = components.node_id
),

previous as (
    {%- if state is not none %}
        select
            node_id,
            customer_id,
            customer_created_at
        from {{ state }}
    {%- else %}
        select
            cast(null as bigint) as node_id,
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as timestamp) as customer_created_at
        where 1 = 0
    {%- endif %}
),

-- How many of each previous customer's identifiers each component holds.
holdings as (
    select
        current_components.component_id,
        previous.customer_id,
        min(previous.customer_created_at) as customer_created_at,
        count(*) as nodes
    from current_components
    inner join previous on current_components.node_id = previous.node_id
    group by current_components.component_id, previous.customer_id
),

-- A previous customer's heir: the component holding most of its identifiers.
heirs as (
    select
        customer_id,
        customer_created_at,
        component_id
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by nodes desc, component_id asc
            ) as rank_in_customer
        from holdings
    ) as ranked
    where rank_in_customer = 1
),

-- The oldest customer a component is heir to survives.
survivors as (
    select
        component_id,
        customer_id,
        customer_created_at
    from (
        select
            *,
            row_number() over (
                partition by component_id order by customer_created_at asc, customer_id asc
            ) as rank_in_component
        from heirs
    ) as ranked
    where rank_in_component = 1
),

assigned as (
    select
        current_components.node_id,
        current_components.identifier_type,
        current_components.component_id,
        previous.customer_id as previous_customer_id,
        coalesce(
            survivors.customer_id,
            'cus_'
            || substr(
                md5(
                    cast(current_components.component_id as {{ dbt.type_string() }})
                    || ':'
                    || cast({{ run_at }} as {{ dbt.type_string() }})
                ),
                1,
                20
            )
        ) as customer_id,
        coalesce(survivors.customer_created_at, {{ run_at }}) as customer_created_at
    from current_components
    left join survivors on current_components.component_id = survivors.component_id
    left join previous on current_components.node_id = previous.node_id
)

select
    assigned.node_id,
    assigned.identifier_type,
    assigned.component_id,
    assigned.customer_id,
    assigned.customer_created_at,
    assigned.previous_customer_id,
    case
        when assigned.previous_customer_id is null then 'new'
        when assigned.previous_customer_id = assigned.customer_id then 'kept'
        -- The old customer lives on elsewhere: this identifier left it.
        when survivors.customer_id is not null then 'split'
        else 'merged'
    end as change,  -- noqa: RF04
    {{ run_at }} as assigned_at
from assigned
left join survivors on assigned.previous_customer_id = survivors.customer_id
