{{ config(
    unique_key='event_id',
    post_hook="{{ forget_withdrawn_copies(source('shipping', 'tracking_events')) }}",
) }}
with

source as (
    {{ landed_records(source('shipping', 'tracking_events'), 'event_id') }}
),

renamed as (
    select
        record_key as event_id,
        {{ json_text('payload', '$.tracking_number') }} as tracking_number,
        lower(trim({{ json_text('payload', '$.carrier') }})) as carrier,
        {{ json_text('payload', '$.order_reference') }} as order_reference,
        {{ json_text('payload', '$.status') }} as status,
        {{ json_text('payload', '$.status_detail') }} as status_detail,
        upper(trim({{ json_text('payload', '$.location.country_code') }})) as country_code,
        {{ to_utc(json_text('payload', '$.estimated_delivery_at')) }} as estimated_delivery_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'event_id') }}
),

final as (
    select * from deduplicated
)

select * from final
