{{ config(
    unique_key='record_key',
    post_hook="{{ forget_withdrawn_copies(source('marketing', 'price_list')) }}",
) }}
with

source as (
    {{ landed_records(source('marketing', 'price_list'), 'record_key') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.channel') }} as channel,
        {{ json_text('payload', '$.sku') }} as sku,
        {{ json_text('payload', '$.offer_id') }} as offer_id,
        {{ json_decimal('payload', '$.list_price', 18, 2) }} as list_price,
        {{ json_text('payload', '$.currency') }} as currency,
        {{ json_text('payload', '$.wording_key') }} as wording_key,
        try_cast({{ json_text('payload', '$.valid_from') }} as date) as valid_from,
        try_cast(nullif(trim({{ json_text('payload', '$.valid_to') }}), '') as date) as valid_to,
        {{ to_utc(json_text('payload', '$.published_at')) }} as published_at,
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
    select * from deduplicated
)

select * from final
