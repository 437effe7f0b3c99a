{{ config(
    unique_key='send_id',
    post_hook="{{ forget_withdrawn_copies(source('marketing', 'sends')) }}",
) }}
{#- An optional currency that breaks the contract loads (flagged); here it reads as NULL. -#}
{%- set currency = "upper(trim(" ~ json_text('payload', '$.currency') ~ "))" -%}

with

source as (
    {{ landed_records(source('marketing', 'sends'), 'send_id') }}
),

renamed as (
    select
        record_key as send_id,
        {{ json_text('payload', '$.campaign_id') }} as campaign_id,
        {{ json_text('payload', '$.channel') }} as channel,
        {{ json_text('payload', '$.purpose') }} as purpose,
        {{ json_text('payload', '$.recipient.email') }} as recipient_email,
        {{ json_text('payload', '$.recipient.phone') }} as recipient_phone,
        {{ json_text('payload', '$.recipient.user_id') }} as user_id,
        {{ json_text('payload', '$.recipient.crm_id') }} as crm_id,
        {{ json_text('payload', '$.offer_id') }} as offer_id,
        {{ json_text('payload', '$.sku') }} as sku,
        {{ json_decimal('payload', '$.price_quoted', 18, 2) }} as price_quoted,
        case
            when {{ matches_fully(currency, '[A-Z]{3}') }} then {{ currency }}
        end as currency,
        {{ json_text('payload', '$.discount_code') }} as discount_code,
        {{ json_decimal('payload', '$.discount_percent', 5, 2) }} as discount_percent,
        {{ json_text('payload', '$.wording_key') }} as wording_key,
        {{ json_text('payload', '$.provider_message_id') }} as provider_message_id,
        {{ to_utc(json_text('payload', '$.sent_at')) }} as sent_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'send_id') }}
),

final as (
    select
        send_id,
        campaign_id,
        channel,
        purpose,
        {{ pseudonymize(normalize_email('recipient_email'), 'email') }} as recipient_email_key,
        {{ pseudonymize(
            normalize_phone('recipient_phone', "'" ~ var('default_phone_region') ~ "'"),
            'phone'
        ) }} as recipient_phone_key,
        user_id,
        crm_id,
        offer_id,
        sku,
        price_quoted,
        currency,
        discount_code,
        discount_percent,
        wording_key,
        provider_message_id,
        sent_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
