{%- set phone_region = "coalesce(nullif(upper(split_part(locale_code, '-', 2)), ''), '"
    ~ var('default_phone_region') ~ "')" -%}

with

source as (
    select * from {{ source('web', 'events') }}
),

renamed as (
    select
        record_key as event_id,
        lower({{ json_text('payload', '$.type') }}) as call_type,
        {{ json_text('payload', '$.event') }} as event_name,
        {{ json_text('payload', '$.name') }} as call_name,
        {{ json_text('payload', '$.anonymousId') }} as anonymous_id,
        {{ json_text('payload', '$.userId') }} as user_id,
        {{ json_text('payload', '$.previousId') }} as previous_id,
        {{ json_text('payload', '$.traits.email') }} as trait_email,
        {{ json_text('payload', '$.traits.phone') }} as trait_phone,
        {{ json_text('payload', '$.context.page.path') }} as page_path,
        {{ json_text('payload', '$.context.page.url') }} as page_url,
        {{ json_text('payload', '$.context.page.referrer') }} as referrer_url,
        nullif({{ json_text('payload', '$.context.campaign.source') }}, '') as campaign_source,
        nullif({{ json_text('payload', '$.context.campaign.medium') }}, '') as campaign_medium,
        nullif({{ json_text('payload', '$.context.campaign.name') }}, '') as campaign_name,
        nullif({{ json_text('payload', '$.context.campaign.term') }}, '') as campaign_term,
        nullif({{ json_text('payload', '$.context.campaign.content') }}, '') as campaign_content,
        {{ json_text('payload', '$.properties.order_id') }} as order_id,
        {{ json_text('payload', '$.properties.product_id') }} as product_id,
        {{ json_text('payload', '$.properties.sku') }} as product_sku,
        {{ json_int('payload', '$.properties.quantity') }} as quantity,
        {{ json_decimal('payload', '$.properties.price', 18, 2) }} as price,
        {{ json_decimal('payload', '$.properties.revenue', 18, 2) }} as revenue,
        {{ json_decimal('payload', '$.properties.total', 18, 2) }} as order_total,
        upper({{ json_text('payload', '$.properties.currency') }}) as currency,
        {{ json_text('payload', '$.properties.experiment_id') }} as experiment_id,
        {{ json_text('payload', '$.properties.variation_id') }} as variation_id,
        {{ json_text('payload', '$.context.locale') }} as locale_code,
        {{ json_text('payload', '$.context.timezone') }} as time_zone,
        {{ json_text('payload', '$.context.library.name') }} as library_name,
        occurred_at,
        {{ to_utc(json_text('payload', '$.sentAt')) }} as sent_at,
        {{ to_utc(json_text('payload', '$.receivedAt')) }} as received_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by event_id
        order by _partition_date desc, _source_file desc, _source_line desc
    ) = 1
),

final as (
    select
        event_id,
        call_type,
        event_name,
        case when call_type = 'page' then call_name end as page_name,
        anonymous_id,
        user_id,
        previous_id,
        {{ pseudonymize(normalize_email('trait_email'), 'email') }} as email_key,
        {{ pseudonymize(normalize_phone('trait_phone', phone_region), 'phone') }} as phone_key,
        page_path,
        -- Query strings and fragments can carry personal data: keep scheme, host and path only.
        regexp_replace(page_url, '[?#].*$', '') as page_url,
        regexp_replace(nullif(referrer_url, ''), '[?#].*$', '') as referrer_url,
        campaign_source,
        campaign_medium,
        campaign_name,
        campaign_term,
        campaign_content,
        order_id,
        product_id,
        product_sku,
        quantity,
        price,
        revenue,
        order_total,
        currency,
        experiment_id,
        variation_id,
        locale_code,
        time_zone,
        library_name,
        occurred_at,
        sent_at,
        received_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
