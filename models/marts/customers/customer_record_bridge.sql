-- Every source record attributed to a customer: the join key from any channel table to `customers`.
select
    record_id,
    source_stream,
    split_part(record_id, ':', 1) as source_table,
    occurred_at,
    customer_id,
    resolved_by
from {{ ref('int_identity__record_customers') }}
where customer_id is not null
