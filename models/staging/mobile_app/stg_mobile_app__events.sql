{{ config(
    unique_key='event_id',
    post_hook="{{ forget_withdrawn_copies(source('mobile_app', 'events')) }}",
) }}
{%- set phone_region = "coalesce(nullif(upper(split_part(locale_code, '-', 2)), ''), '"
    ~ var('default_phone_region') ~ "')" -%}

with

source as (
    {{ landed_records(source('mobile_app', 'events'), 'event_id') }}
),

renamed as (
    select
        record_key as event_id,
        {{ segment_spec_columns('payload') }},
        {{ json_text('payload', '$.context.device.id') }} as device_id,
        lower({{ json_text('payload', '$.context.device.type') }}) as device_type,
        {{ json_text('payload', '$.context.os.name') }} as os_name,
        {{ json_text('payload', '$.context.os.version') }} as os_version,
        {{ json_text('payload', '$.context.app.version') }} as app_version,
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
        case when call_type = 'screen' then call_name end as screen_name,
        anonymous_id,
        user_id,
        previous_id,
        {{ pseudonymize(normalize_email('trait_email'), 'email') }} as email_key,
        {{ pseudonymize(normalize_phone('trait_phone', phone_region), 'phone') }} as phone_key,
        device_id,
        device_type,
        os_name,
        os_version,
        app_version,
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
