{#-
    The buyer of an order: the customer's name, else the name on the billing address; the
    billing address (the buyer's own), else the shipping address (which may be a gift
    recipient's, so it is only the fallback). Email and phone are chosen and normalized exactly as
    stg_orders__orders does, so their keys are the staging model's keys.
-#}
{%- set phone_region =
    "coalesce(shipping_country_code, billing_country_code, '"
    ~ var('default_phone_region') ~ "')"
-%}

with

source as (
    select * from {{ source('orders', 'orders') }}
),

renamed as (
    select
        record_key,
        coalesce(
            {{ json_text('payload', '$.customer.first_name') }},
            {{ json_text('payload', '$.billing_address.first_name') }}
        ) as first_name,
        coalesce(
            {{ json_text('payload', '$.customer.last_name') }},
            {{ json_text('payload', '$.billing_address.last_name') }}
        ) as last_name,
        {{ json_text('payload', '$.billing_address.address1') }} as billing_address_line,
        {{ json_text('payload', '$.billing_address.zip') }} as billing_postal_code,
        {{ json_text('payload', '$.billing_address.city') }} as billing_city,
        nullif(upper(trim({{ json_text('payload', '$.billing_address.country_code') }})), '')
            as billing_country_code,
        {{ json_text('payload', '$.shipping_address.address1') }} as shipping_address_line,
        {{ json_text('payload', '$.shipping_address.zip') }} as shipping_postal_code,
        {{ json_text('payload', '$.shipping_address.city') }} as shipping_city,
        nullif(upper(trim({{ json_text('payload', '$.shipping_address.country_code') }})), '')
            as shipping_country_code,
        {{ json_text('payload', '$.email') }} as order_email,
        {{ json_text('payload', '$.customer.email') }} as customer_email,
        {{ json_text('payload', '$.phone') }} as order_phone,
        {{ json_text('payload', '$.customer.phone') }} as customer_phone,
        occurred_at,
        _partition_date,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'record_key') }}
),

buyer_address as (
    select
        *,
        nullif(trim(billing_address_line), '') is not null as has_billing_address
    from deduplicated
),

addressed as (
    select
        record_key,
        occurred_at,
        first_name,
        last_name,
        {{ normalize_email('order_email') }} as order_email,
        {{ normalize_email('customer_email') }} as customer_email,
        {{ normalize_phone('order_phone', phone_region) }} as order_phone,
        {{ normalize_phone('customer_phone', phone_region) }} as customer_phone,
        case
            when has_billing_address then billing_address_line else shipping_address_line
        end as address_line,
        case
            when has_billing_address then billing_postal_code else shipping_postal_code
        end as postal_code,
        case when has_billing_address then billing_city else shipping_city end as city,
        case
            when has_billing_address then billing_country_code else shipping_country_code
        end as country_code
    from buyer_address
),

final as (
    select
        concat('orders__orders:', record_key) as record_id,
        'orders__orders' as source,  -- noqa: RF04
        record_key,
        occurred_at,
        {{ normalize_name('first_name') }} as first_name,
        {{ normalize_name('last_name') }} as last_name,
        cast(null as date) as date_of_birth,
        {{ normalize_address('address_line') }} as address_line,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        {{ normalize_name('city') }} as city,
        country_code,
        coalesce(order_email, customer_email) as email,
        coalesce(order_phone, customer_phone) as phone,
        cast(null as string) as secondary_phone
    from addressed
)

select * from final
