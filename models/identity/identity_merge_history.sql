{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}
{#-
    Every customer id that stopped describing the same set of identifiers, one row per change
    and run: merged (the old customer is now part of the new one) or split (some identifiers
    left the old customer for a new one). `evidence_record_id` is one record whose link joined
    the identifiers, `evidence_link` the types of that link's two ends, and
    `evidence_match_probability` the probability of the probabilistic match behind it (NULL for
    a shared identifier). A probabilistic link is shown first, since it is the one a reviewer may
    want to undo; of several, the weakest. Appended each run.
-#}
with changed as (
    select
        previous_customer_id as from_customer_id,
        customer_id as to_customer_id,
        change,
        assigned_at,
        count(*) as identifiers_moved
    from {{ ref('int_identity__customer_ids') }}
    where change in ('merged', 'split')
    group by previous_customer_id, customer_id, change, assigned_at
),

ends as (
    select
        links.example_record_id,
        links.source_type || ' - ' || links.target_type as link_types,
        links.match_probability,
        source_ids.previous_customer_id as source_previous,
        target_ids.previous_customer_id as target_previous,
        source_ids.customer_id
    from {{ ref('int_identity__links') }} as links
    inner join {{ ref('int_identity__customer_ids') }} as source_ids
        on links.source_node = source_ids.node_id
    inner join {{ ref('int_identity__customer_ids') }} as target_ids
        on links.target_node = target_ids.node_id
    where
        source_ids.customer_id = target_ids.customer_id
        and coalesce(source_ids.previous_customer_id, '')
        <> coalesce(target_ids.previous_customer_id, '')
),

both_ends as (
    select
        source_previous as from_customer_id,
        customer_id,
        example_record_id,
        link_types,
        match_probability
    from ends
    union all
    select
        target_previous,
        customer_id,
        example_record_id,
        link_types,
        match_probability
    from ends
),

evidence as (
    select
        from_customer_id,
        customer_id,
        example_record_id as evidence_record_id,
        link_types as evidence_link,
        match_probability as evidence_match_probability
    from (
        select
            *,
            row_number() over (
                partition by from_customer_id, customer_id
                order by
                    case when match_probability is null then 1 else 0 end,
                    match_probability asc,
                    example_record_id asc
            ) as evidence_rank
        from both_ends
        where from_customer_id is not null
    ) as ranked
    where evidence_rank = 1
)

select
    changed.from_customer_id,
    changed.to_customer_id,
    changed.change,
    changed.assigned_at as changed_at,
    changed.identifiers_moved,
    evidence.evidence_record_id,
    evidence.evidence_link,
    evidence.evidence_match_probability
from changed
left join evidence
    on
        changed.from_customer_id = evidence.from_customer_id
        and changed.to_customer_id = evidence.customer_id
