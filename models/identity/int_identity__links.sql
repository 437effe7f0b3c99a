{#-
    The links of the identity graph: each record's hub to each of its other identifiers, once
    per pair, with the evidence behind it. A link is as strong as its weaker end: `tier` is the
    priority of that end, and the graph adds links tier by tier, strongest first.

    With the var `identity_probabilistic_matching` (default true), the matches of the
    probabilistic step join as links between the two records' hubs; a matched record without
    any identifier takes part as a node of type `record`. A match of two
    records whose hubs are both one-per-person ids (two CRM contacts, a CRM contact and a shop
    customer) is the strong evidence that may merge two ids of one type: it comes right after
    the one-per-person ids, before any email or phone, at the tier
    `identity_match_merging_tier` (6), where the graph lets it join different values of a
    limited type. Any other match (a record known only by a phone, an email or nothing) comes
    last, at the tier `identity_probabilistic_tier` (13), where the guards hold as for a shared
    identifier. `match_probability`
    is the match's probability (NULL for a shared identifier).
-#}
{%- set matches = ref('stg_identity__probabilistic_edges') -%}
{%- set use_matches = var('identity_probabilistic_matching', true) -%}
{%- set merging_tier = var('identity_match_merging_tier', 6) -%}
{%- set match_tier = var('identity_probabilistic_tier', 13) -%}
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
),

-- The probabilistic matches (none before the matcher has run, or when they are turned off); a
-- reviewer's rejected pairs (var identity_rejected_matches: [record id, record id]) are left out.
matches as (
    {%- if use_matches %}
        select
            record_id_l,
            record_id_r,
            match_probability
        from {{ matches }}
        {%- for left, right in var('identity_rejected_matches', []) %}
            {{ 'where' if loop.first else 'and' }} not (
                least(record_id_l, record_id_r) = least('{{ left }}', '{{ right }}')
                and greatest(record_id_l, record_id_r) = greatest('{{ left }}', '{{ right }}')
            )
        {%- endfor %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as record_id_l,
            cast(null as {{ dbt.type_string() }}) as record_id_r,
            cast(null as double) as match_probability
        where 1 = 0
    {%- endif %}
),

record_hubs as (
    select
        record_id,
        coalesce(identifier_type, 'record') as identifier_type,
        coalesce(
            hub_node_id, {{ connect360.identity_node_id("'record'", 'record_id') }}
        ) as node_id
    from {{ ref('int_identity__occurrences') }}
    where is_hub or hub_node_id is null
),

matched as (
    select
        left_hub.node_id as source_node,
        left_hub.identifier_type as source_type,
        right_hub.node_id as target_node,
        right_hub.identifier_type as target_type,
        matches.record_id_l as example_record_id,
        matches.record_id_r as example_matched_record_id,
        matches.match_probability,
        case
            when
                {{ connect360.identifier_is_limited('left_hub.identifier_type') }}
                and {{ connect360.identifier_is_limited('right_hub.identifier_type') }}
                then {{ merging_tier }}
            else {{ match_tier }}
        end as tier,
        -- The pair a link shows: its most probable one.
        row_number() over (
            partition by left_hub.node_id, right_hub.node_id
            order by
                matches.match_probability desc,
                matches.record_id_l asc,
                matches.record_id_r asc
        ) as pair_rank
    from matches
    inner join record_hubs as left_hub on matches.record_id_l = left_hub.record_id
    inner join record_hubs as right_hub on matches.record_id_r = right_hub.record_id
    where left_hub.node_id <> right_hub.node_id
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
    max(occurrences.occurred_at) as last_seen_at,
    cast(null as {{ dbt.type_string() }}) as example_matched_record_id,
    cast(null as double) as match_probability
from occurrences
inner join hubs on occurrences.hub_node_id = hubs.node_id
group by 1, 2, 3, 4, 5, 6, 7, 8, 9

union all

select
    source_node,
    source_type,
    coalesce({{ connect360.identifier_priority('source_type') }}, {{ match_tier }})
        as source_priority,
    {{ connect360.identifier_is_limited('source_type') }} as source_limited,
    target_node,
    target_type,
    coalesce({{ connect360.identifier_priority('target_type') }}, {{ match_tier }})
        as target_priority,
    {{ connect360.identifier_is_limited('target_type') }} as target_limited,
    tier,
    min(case when pair_rank = 1 then example_record_id end) as example_record_id,
    count(*) as records,
    cast(null as timestamp) as first_seen_at,
    cast(null as timestamp) as last_seen_at,
    min(case when pair_rank = 1 then example_matched_record_id end)
        as example_matched_record_id,
    max(match_probability) as match_probability
from matched
group by 1, 2, 3, 4, 5, 6, 7, 8, 9
