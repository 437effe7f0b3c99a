{{ config(
    unique_key='record_key',
    post_hook="{{ forget_withdrawn_copies(source('orders', 'orders')) }}",
) }}
{#- Phone numbers without a country code are read in the country the order ships to. -#}
{%- set phone_region =
    "coalesce(shipping_country_code, billing_country_code, '"
    ~ var('default_phone_region') ~ "')"
-%}

with

source as (
    {{ landed_records(source('orders', 'orders'), 'record_key') }}
),

renamed as (
    select
        record_key,
        {{ json_int('payload', '$.id') }} as order_id,
        {{ json_text('payload', '$.name') }} as order_name,
        {{ json_int('payload', '$.order_number') }} as order_number,
        {{ json_int('payload', '$.customer.id') }} as customer_id,
        {{ json_text('payload', '$.email') }} as order_email,
        {{ json_text('payload', '$.customer.email') }} as customer_email,
        {{ json_text('payload', '$.phone') }} as order_phone,
        {{ json_text('payload', '$.customer.phone') }} as customer_phone,
        upper(trim({{ json_text('payload', '$.shipping_address.country_code') }}))
            as shipping_country_code,
        upper(trim({{ json_text('payload', '$.billing_address.country_code') }}))
            as billing_country_code,
        {{ json_bool('payload', '$.customer.accepts_marketing') }} as accepts_marketing,
        {{ json_text('payload', '$.currency') }} as currency,
        {{ json_decimal('payload', '$.subtotal_price', 18, 2) }} as subtotal_price,
        {{ json_decimal('payload', '$.total_discounts', 18, 2) }} as total_discounts,
        {{ json_decimal('payload', '$.total_tax', 18, 2) }} as total_tax,
        {{ json_decimal('payload', '$.total_price', 18, 2) }} as total_price,
        {{ json_text('payload', '$.financial_status') }} as financial_status,
        {{ json_text('payload', '$.fulfillment_status') }} as fulfillment_status,
        {{ json_text('payload', '$.cancel_reason') }} as cancel_reason,
        {{ json_text('payload', '$.source_name') }} as source_name,
        {{ json_array_text('payload', '$.line_items') }} as line_items_json,
        {{ json_array_text('payload', '$.discount_codes') }} as discount_codes_json,
        {{ json_array_text('payload', '$.transactions') }} as transactions_json,
        {{ to_utc(json_text('payload', '$.created_at')) }} as created_at,
        {{ to_utc(json_text('payload', '$.processed_at')) }} as processed_at,
        {{ to_utc(json_text('payload', '$.cancelled_at')) }} as cancelled_at,
        {{ to_utc(json_text('payload', '$.updated_at')) }} as updated_at,
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
        order_id,
        order_name,
        order_number,
        customer_id,
        {{ pseudonymize(
            "coalesce(" ~ normalize_email('order_email') ~ ", "
            ~ normalize_email('customer_email') ~ ")",
            'email'
        ) }} as email_key,
        {{ pseudonymize(
            "coalesce(" ~ normalize_phone('order_phone', phone_region) ~ ", "
            ~ normalize_phone('customer_phone', phone_region) ~ ")",
            'phone'
        ) }} as phone_key,
        shipping_country_code,
        billing_country_code,
        accepts_marketing,
        currency,
        subtotal_price,
        total_discounts,
        total_tax,
        total_price,
        financial_status,
        fulfillment_status,
        cancel_reason,
        source_name,
        line_items_json,
        discount_codes_json,
        transactions_json,
        created_at,
        processed_at,
        cancelled_at,
        updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
