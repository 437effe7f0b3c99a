{{ config(materialized='view') }}
{#-
    Every order and till receipt with a product listed, on the channel and the day (UTC) it was
    bought, at another price than on the web (`int_channel_price_differences`): the
    `has_price_difference` friction signal of `journey_moments`. An order's channel is its
    `order_channel` in `int_order_lines`, a receipt's pos.
-#}
with

order_lines as (
    select * from {{ ref('int_order_lines') }}
),

receipt_lines as (
    select * from {{ ref('stg_pos__receipts') }}
),

price_differences as (
    select * from {{ ref('int_channel_price_differences') }}
),

order_items as (
    select
        'order:' || cast(order_id as {{ dbt.type_string() }}) as purchase_reference,
        order_channel as channel,
        cast(ordered_at as date) as bought_on,
        sku
    from order_lines
),

purchased_items as (
    select
        purchase_reference,
        channel,
        bought_on,
        sku
    from order_items
    union all
    select
        'receipt:' || receipt_id as purchase_reference,
        'pos' as channel,
        cast(occurred_at as date) as bought_on,
        sku
    from receipt_lines
),

final as (
    select distinct purchased_items.purchase_reference
    from purchased_items
    inner join price_differences
        on
            purchased_items.channel = price_differences.channel
            and purchased_items.sku = price_differences.sku
            and purchased_items.bought_on >= price_differences.differs_from
            and purchased_items.bought_on
            <= coalesce(price_differences.differs_through, purchased_items.bought_on)
)

select * from final
