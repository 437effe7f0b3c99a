{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#-
    The identifiers of every erased customer, kept for good: a verified erasure request removes
    the customer its subject resolves to, with all the customer's identifiers, from every model
    downstream of identity resolution. Records that arrive later with one of these identifiers
    are suppressed too. Appended once per identifier; pseudonymous node ids only.
    It is the audit trail of when each erasure was honoured (`erased_at`), so `--full-refresh`
    leaves it as it is (full_refresh=false): to rebuild it on purpose, drop the table first.
-#}
with requests as (
    select
        occurrences.record_id as request_record_id,
        occurrences.hub_node_id as subject_node_id
    from {{ ref('int_identity__occurrences') }} as occurrences
    inner join {{ ref('stg_consent__erasure_requests') }} as requests
        on occurrences.record_id = 'consent__erasure_requests:' || requests.request_id
    where occurrences.is_hub and requests.is_verified
),

erased_customers as (
    select
        customer_ids.customer_id,
        min(requests.request_record_id) as request_record_id
    from requests
    inner join {{ ref('int_identity__customer_ids') }} as customer_ids
        on requests.subject_node_id = customer_ids.node_id
    group by customer_ids.customer_id
),

records_per_node as (
    select
        hub_node_id as node_id,
        count(*) as records
    from {{ ref('int_identity__occurrences') }}
    where is_hub
    group by hub_node_id
)

select
    customer_ids.node_id,
    customer_ids.customer_id,
    erased_customers.request_record_id,
    coalesce(records_per_node.records, 0) as records,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as erased_at
from erased_customers
inner join {{ ref('int_identity__customer_ids') }} as customer_ids
    on erased_customers.customer_id = customer_ids.customer_id
left join records_per_node on customer_ids.node_id = records_per_node.node_id
{%- if is_incremental() %}
    where customer_ids.node_id not in (select suppressed.node_id from {{ this }} as suppressed)
{%- endif %}
