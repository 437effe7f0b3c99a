{#-
    Every erasure request and what became of it: the pseudonymous tombstone auditors read.
    Erased: the customer and its identifiers are gone from every model downstream of identity
    resolution (identity_erasure_suppressions). Pending verification: nothing is removed until
    the request is verified. No data found: the subject matched no identifier.
-#}
with requests as (
    select
        request_id,
        'consent__erasure_requests:' || request_id as request_record_id,
        subject_type,
        subject_key,
        regulation,
        channel,
        is_verified,
        received_at
    from {{ ref('stg_consent__erasure_requests') }}
),

erased as (
    select
        request_record_id,
        min(customer_id) as customer_id,
        min(erased_at) as erased_at,
        count(*) as identifiers_erased,
        sum(records) as records_erased
    from {{ ref('identity_erasure_suppressions') }}
    group by request_record_id
)

select
    requests.request_id,
    requests.subject_type,
    requests.subject_key,
    requests.regulation,
    requests.channel,
    requests.received_at,
    requests.is_verified,
    erased.customer_id as erased_customer_id,
    erased.erased_at,
    coalesce(erased.identifiers_erased, 0) as identifiers_erased,
    coalesce(erased.records_erased, 0) as records_erased,
    case
        when erased.request_record_id is not null then 'erased'
        when not requests.is_verified then 'pending verification'
        else 'no data found'
    end as status
from requests
left join erased on requests.request_record_id = erased.request_record_id
