{{ config(
    unique_key='record_key',
    post_hook="{{ forget_withdrawn_copies(source('pos', 'receipts')) }}",
) }}
{#- An optional currency that breaks the contract loads (flagged); here it reads as NULL. -#}
{%- set currency = "upper(trim(" ~ json_text('payload', '$.currency') ~ "))" -%}

with

source as (
    {{ landed_records(source('pos', 'receipts'), 'record_key') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.receipt_id') }} as receipt_id,
        {{ json_int('payload', '$.line_number') }} as line_number,
        {{ json_text('payload', '$.store_id') }} as store_id,
        {{ json_text('payload', '$.store_timezone') }} as store_timezone,
        {{ json_text('payload', '$.register_id') }} as register_id,
        {{ json_text('payload', '$.loyalty_card') }} as loyalty_card,
        {{ json_text('payload', '$.phone') }} as phone,
        {{ json_text('payload', '$.sku') }} as sku,
        {{ json_int('payload', '$.quantity') }} as quantity,
        {{ json_decimal('payload', '$.list_price', 18, 2) }} as list_price,
        {{ json_decimal('payload', '$.paid_price', 18, 2) }} as paid_price,
        {{ json_text('payload', '$.discount_code') }} as discount_code,
        {{ json_text('payload', '$.payment_method') }} as payment_method,
        case
            when {{ matches_fully(currency, '[A-Z]{3}') }} then {{ currency }}
        end as currency,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

final as (
    select
        record_key,
        receipt_id,
        line_number,
        store_id,
        store_timezone,
        register_id,
        loyalty_card,
        {{ pseudonymize(
            normalize_phone('phone', "'" ~ var('default_phone_region') ~ "'"), 'phone'
        ) }} as phone_key,
        sku,
        quantity,
        list_price,
        paid_price,
        paid_price >= list_price as is_full_price,
        discount_code,
        payment_method,
        currency,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
