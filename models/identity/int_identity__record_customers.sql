{#-
    Every source record and the customer it belongs to, through its hub identifier (its
    strongest one), or as a matched record of its own. Every record that carries an identifier
    has a customer; `resolution` says how:
      - resolved: the customer of its hub identifier;
      - shared identifier: the hub is known to be several people's (the graph refused it as an
        ambiguous bridge: a household landline two CRM contacts hold, a tablet two accounts log
        in on). A call from that landline or an anonymous session on that tablet could be any
        of them, so it joins none of them: it belongs to the identifier's own customer, with
        the other records the identifier alone connects;
      - no identifier: nothing usable and no probabilistic match: no customer.

    Records of erased customers are not here: their customers hold an identifier in
    identity_erasure_suppressions, so every model built on the bridge leaves them out.
-#}
with erased_customers as (
    select distinct customer_ids.customer_id
    from {{ ref('int_identity__customer_ids') }} as customer_ids
    inner join {{ ref('identity_erasure_suppressions') }} as suppressions
        on customer_ids.node_id = suppressions.node_id
)

select
    occurrences.record_id,
    occurrences.source_stream,
    occurrences.occurred_at,
    customer_ids.customer_id,
    occurrences.identifier_type as resolved_by,
    case
        when shared.is_shared_identifier then 'shared identifier'
        when customer_ids.customer_id is null then 'no identifier'
        else 'resolved'
    end as resolution
from {{ ref('int_identity__occurrences') }} as occurrences
left join {{ ref('int_identity__customer_ids') }} as customer_ids
    on
        coalesce(
            occurrences.hub_node_id,
            {{ connect360.identity_node_id("'record'", 'occurrences.record_id') }}
        ) = customer_ids.node_id
left join {{ ref('int_identity__components') }} as shared
    on occurrences.hub_node_id = shared.node_id and shared.is_shared_identifier
left join erased_customers on customer_ids.customer_id = erased_customers.customer_id
where
    (occurrences.is_hub or occurrences.hub_node_id is null)
    and erased_customers.customer_id is null
