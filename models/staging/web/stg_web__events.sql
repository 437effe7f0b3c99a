{{ config(
    unique_key='event_id',
    post_hook="{{ forget_withdrawn_copies(source('web', 'events')) }}",
) }}
{%- set phone_region = "coalesce(nullif(upper(split_part(locale_code, '-', 2)), ''), '"
    ~ var('default_phone_region') ~ "')" -%}

with

source as (
    {{ landed_records(source('web', 'events'), 'event_id') }}
),

renamed as (
    select
        record_key as event_id,
        {{ segment_spec_columns('payload') }},
        {{ json_text('payload', '$.context.page.path') }} as page_path,
        {{ json_text('payload', '$.context.page.url') }} as page_url,
        {{ json_text('payload', '$.context.page.referrer') }} as referrer_url,
        {{ json_text('payload', '$.context.userAgent') }} as user_agent,
        {{ segment_spec_context_columns('payload') }},
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'event_id') }}
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
        -- Query strings and fragments can carry personal data: keep scheme, host and path
        -- only. A path can carry an address too (an account page's): it is redacted.
        {{ redact_personal_data('page_path') }} as page_path,
        {{ redact_personal_data("regexp_replace(page_url, '[?#].*$', '')") }} as page_url,
        {{ redact_personal_data("regexp_replace(nullif(referrer_url, ''), '[?#].*$', '')") }}
            as referrer_url,
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
        -- The agent itself is a fingerprint: only whether it is automated traffic goes on.
        {{ is_bot_user_agent('user_agent') }} as is_bot,
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
