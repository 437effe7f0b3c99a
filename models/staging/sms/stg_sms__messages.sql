{{ config(
    unique_key='message_id',
    post_hook="{{ forget_withdrawn_copies(source('sms', 'messages')) }}",
) }}
{%- set phone_region = "'" ~ var('default_phone_region') ~ "'" -%}

with

source as (
    {{ landed_records(source('sms', 'messages'), 'message_id') }}
),

renamed as (
    select
        record_key as message_id,
        {{ json_text('payload', '$.messaging_service_sid') }} as messaging_service_id,
        lower({{ json_text('payload', '$.direction') }}) as direction,
        lower({{ json_text('payload', '$.status') }}) as status,
        {{ json_text('payload', '$.from') }} as from_phone,
        {{ json_text('payload', '$.to') }} as to_phone,
        coalesce(trim({{ json_text('payload', '$.body') }}), '') != '' as has_body,
        {{ json_int('payload', '$.num_segments') }} as num_segments,
        {{ json_int('payload', '$.error_code') }} as error_code,
        {{ json_decimal('payload', '$.price', 18, 5) }} as price,
        upper({{ json_text('payload', '$.price_unit') }}) as price_currency,
        {{ to_utc(json_text('payload', '$.date_created')) }} as created_at,
        {{ to_utc(json_text('payload', '$.date_sent')) }} as sent_at,
        {{ to_utc(json_text('payload', '$.date_updated')) }} as updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'message_id') }}
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
        message_id,
        messaging_service_id,
        direction,
        direction = 'inbound' as is_inbound,
        status,
        -- The customer is the recipient of outbound messages and the sender of inbound ones.
        case when direction = 'inbound' then from_phone_key else to_phone_key end
            as customer_phone_key,
        from_phone_key,
        to_phone_key,
        has_body,
        num_segments,
        error_code,
        price,
        price_currency,
        created_at,
        sent_at,
        updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from pseudonymized
)

select * from final
