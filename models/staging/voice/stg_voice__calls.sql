{{ config(
    unique_key='call_id',
    post_hook="{{ forget_withdrawn_copies(source('voice', 'calls')) }}",
) }}
{%- set phone_region = "'" ~ var('default_phone_region') ~ "'" -%}

with

source as (
    {{ landed_records(source('voice', 'calls'), 'call_id') }}
),

renamed as (
    select
        record_key as call_id,
        {{ json_text('payload', '$.parent_call_sid') }} as parent_call_id,
        lower({{ json_text('payload', '$.direction') }}) as direction,
        lower({{ json_text('payload', '$.status') }}) as status,
        {{ json_text('payload', '$.from') }} as from_phone,
        {{ json_text('payload', '$.to') }} as to_phone,
        {{ to_utc(json_text('payload', '$.start_time')) }} as started_at,
        {{ to_utc(json_text('payload', '$.end_time')) }} as ended_at,
        {{ json_int('payload', '$.duration') }} as duration_seconds,
        lower({{ json_text('payload', '$.answered_by') }}) as answered_by,
        {{ json_decimal('payload', '$.price', 18, 5) }} as price,
        upper({{ json_text('payload', '$.price_unit') }}) as price_currency,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'call_id') }}
),

pseudonymized as (
    select
        *,
        {{ pseudonymize(normalize_phone('from_phone', phone_region), 'phone') }} as from_phone_key,
        {{ pseudonymize(normalize_phone('to_phone', phone_region), 'phone') }} as to_phone_key
    from deduplicated
),

final as (
    select
        call_id,
        parent_call_id,
        direction,
        direction = 'inbound' as is_inbound,
        status,
        -- The customer is the caller on inbound calls and the called party on outbound ones.
        case when direction = 'inbound' then from_phone_key else to_phone_key end
            as customer_phone_key,
        from_phone_key,
        to_phone_key,
        started_at,
        ended_at,
        duration_seconds,
        answered_by,
        price,
        price_currency,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from pseudonymized
)

select * from final
