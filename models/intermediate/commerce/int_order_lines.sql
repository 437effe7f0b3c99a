{#-
    One row per line of the latest version of every online order (`line_number`, its place in
    the order from 1): what was bought, at what price, and whether it was bought at full price
    (no discount code on the order, no discount on the line, not marked down from a compare-at
    price).
-#}
with

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

latest_versions as (
    select
        *,
        row_number() over (
            partition by order_id
            order by updated_at desc, _loaded_at desc, record_key desc
        ) as version_rank
    from orders
),

lines as (
    select
        record_key as order_record_key,
        order_id,
        coalesce(processed_at, created_at, occurred_at) as ordered_at,
        -- The storefront the order came from: the app's orders say iphone or android.
        case
            when source_name in ('iphone', 'android') then 'mobile_app'
            else source_name
        end as order_channel,
        discount_codes_json,
        total_discounts,
        cancelled_at,
        {{ connect360.json_array_elements_with_position(
            'line_items_json', 'line_json', 'line_position'
        ) }}
    from latest_versions
    where version_rank = 1
),

typed as (
    select
        order_record_key,
        order_id,
        ordered_at,
        order_channel,
        cancelled_at,
        line_position + 1 as line_number,
        {{ connect360.json_text('line_json', '$.sku') }} as sku,
        {{ connect360.json_int('line_json', '$.quantity') }} as quantity,
        {{ connect360.json_decimal('line_json', '$.price', 18, 2) }} as unit_price,
        {{ connect360.json_decimal('line_json', '$.compare_at_price', 18, 2) }}
            as compare_at_price,
        {{ connect360.json_decimal('line_json', '$.total_discount', 18, 2) }} as line_discount,
        coalesce(discount_codes_json, '[]') = '[]' as order_without_code,
        coalesce(total_discounts, 0) = 0 as order_without_discount
    from lines
),

final as (
    select
        order_record_key,
        order_id,
        ordered_at,
        order_channel,
        line_number,
        sku,
        quantity,
        unit_price,
        compare_at_price,
        line_discount,
        order_without_code
        and order_without_discount
        and coalesce(line_discount, 0) = 0
        and (compare_at_price is null or compare_at_price <= unit_price) as is_full_price,
        cancelled_at is not null as is_cancelled
    from typed
)

select * from final
