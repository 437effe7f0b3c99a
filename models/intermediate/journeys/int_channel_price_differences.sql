{#-
    When a channel listed a product at another price than the web did (`stg_marketing__price_list`):
    one row per channel, product and span of days over which its list price and the web's list
    price, each constant, differ. The web's list price is the reference.

    A price applies from its `valid_from` through its `valid_to`, and never past the day before
    the channel's next price for the product starts. A price without `valid_to` applies until
    that day, or without end when it is the latest; a span that ends with such a price has no
    `differs_through`.
-#}
with

price_list as (
    select * from {{ ref('stg_marketing__price_list') }}
),

next_prices as (
    select
        channel,
        sku,
        list_price,
        valid_from,
        valid_to,
        {{ connect360.date_add_days(
            'lead(valid_from) over (partition by channel, sku order by valid_from)', -1
        ) }} as day_before_next_price
    from price_list
),

prices as (
    select
        channel,
        sku,
        list_price,
        valid_from,
        least(
            coalesce(valid_to, day_before_next_price),
            coalesce(day_before_next_price, valid_to)
        ) as valid_through
    from next_prices
),

web_prices as (
    select *
    from prices
    where channel = 'web'
),

channel_prices as (
    select *
    from prices
    where channel != 'web'
),

final as (
    select
        channel_prices.channel,
        channel_prices.sku,
        greatest(channel_prices.valid_from, web_prices.valid_from) as differs_from,
        least(
            coalesce(channel_prices.valid_through, web_prices.valid_through),
            coalesce(web_prices.valid_through, channel_prices.valid_through)
        ) as differs_through,
        channel_prices.list_price,
        web_prices.list_price as web_list_price
    from channel_prices
    inner join web_prices
        on
            channel_prices.sku = web_prices.sku
            and channel_prices.valid_from
            <= coalesce(web_prices.valid_through, channel_prices.valid_from)
            and web_prices.valid_from
            <= coalesce(channel_prices.valid_through, web_prices.valid_from)
    where channel_prices.list_price != web_prices.list_price
)

select * from final
