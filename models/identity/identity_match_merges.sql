{#-
    Every merge of two one-per-person ids (two CRM contacts, two systems' ids, a CRM contact and
    a shop customer) that rests on a probabilistic match: the links of the merging tier whose two
    ends are in one customer, with the two records matched and the match probability. This is a
    reviewer's list: a merge judged wrong is undone by adding its two record ids to the var
    `identity_rejected_matches` (int_identity__links leaves such a pair out).
-#}
{%- set merging_tier = var('identity_match_merging_tier', 6) -%}

with links as (
    select * from {{ ref('int_identity__links') }}
    where tier = {{ merging_tier }}
),

customer_ids as (
    select * from {{ ref('int_identity__customer_ids') }}
),

final as (
    select
        source_ids.customer_id,
        links.source_type,
        links.target_type,
        links.source_node,
        links.target_node,
        links.example_record_id,
        links.example_matched_record_id,
        links.match_probability,
        links.records as matched_pairs
    from links
    inner join customer_ids as source_ids on links.source_node = source_ids.node_id
    inner join customer_ids as target_ids on links.target_node = target_ids.node_id
    where source_ids.customer_id = target_ids.customer_id
)

select * from final
