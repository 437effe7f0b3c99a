{#-
    The links of the identity graph: each record's hub to each of its other identifiers, once
    per pair, with the evidence behind it. A link is as strong as its weaker end: `tier` is the
    priority of that end, and the graph adds links tier by tier, strongest first.
-#}
with occurrences as (
    select * from {{ ref('int_identity__occurrences') }}
    where not is_hub and node_id is not null and node_id <> hub_node_id
),

hubs as (
    select distinct
        node_id,
        identifier_type,
        identifier_priority
    from {{ ref('int_identity__occurrences') }}
    where is_hub
)

select
    occurrences.hub_node_id as source_node,
    hubs.identifier_type as source_type,
    hubs.identifier_priority as source_priority,
    {{ connect360.identifier_is_limited('hubs.identifier_type') }} as source_limited,
    occurrences.node_id as target_node,
    occurrences.identifier_type as target_type,
    occurrences.identifier_priority as target_priority,
    {{ connect360.identifier_is_limited('occurrences.identifier_type') }} as target_limited,
    occurrences.identifier_priority as tier,
    min(occurrences.record_id) as example_record_id,
    count(*) as records,
    min(occurrences.occurred_at) as first_seen_at,
    max(occurrences.occurred_at) as last_seen_at
from occurrences
inner join hubs on occurrences.hub_node_id = hubs.node_id
group by 1, 2, 3, 4, 5, 6, 7, 8, 9
