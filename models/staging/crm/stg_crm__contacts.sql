{{ config(
    unique_key='record_key',
    post_hook="{{ forget_withdrawn_copies(source('crm', 'contacts')) }}",
) }}
{#- Phone numbers without a country code are read in the contact's own country. -#}
{%- set phone_region = "coalesce(country_code, '" ~ var('default_phone_region') ~ "')" -%}
{#- Optional fields whose value breaks the contract load (flagged); here they read as NULL. -#}
{%- set country_code = "upper(trim(" ~ json_text('payload', '$.country_code') ~ "))" -%}
{%- set date_of_birth = json_text('payload', '$.date_of_birth') -%}

with

source as (
    {{ landed_records(source('crm', 'contacts'), 'record_key') }}
),

renamed as (
    select
        record_key,
        {{ json_text('payload', '$.crm_id') }} as crm_id,
        nullif(lower(trim({{ json_text('payload', '$.crm_system') }})), '') as crm_system,
        {{ json_text('payload', '$.email') }} as email,
        {{ json_text('payload', '$.secondary_email') }} as secondary_email,
        {{ json_text('payload', '$.phone') }} as phone,
        {{ json_text('payload', '$.mobile_phone') }} as mobile_phone,
        case
            when {{ matches_fully(country_code, '[A-Z]{2}') }} then {{ country_code }}
        end as country_code,
        lower(trim({{ json_text('payload', '$.lifecycle_stage') }})) as lifecycle_stage,
        {{ json_text('payload', '$.loyalty_card') }} as loyalty_card,
        {{ json_text('payload', '$.account_user_id') }} as account_user_id,
        -- The birth date stays in the restricted layer; whether it was given but unreadable is
        -- no personal data.
        {{ date_of_birth }} is not null
        and try_cast(trim({{ date_of_birth }}) as date) is null as has_invalid_date_of_birth,
        {{ to_utc(json_text('payload', '$.created_at')) }} as created_at,
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
        crm_id,
        crm_system,
        {{ pseudonymize(normalize_email('email'), 'email') }} as email_key,
        {{ pseudonymize(normalize_email('secondary_email'), 'email') }} as secondary_email_key,
        {{ pseudonymize(normalize_phone('phone', phone_region), 'phone') }} as phone_key,
        {{ pseudonymize(normalize_phone('mobile_phone', phone_region), 'phone') }}
            as mobile_phone_key,
        country_code,
        lifecycle_stage,
        loyalty_card,
        account_user_id as user_id,
        has_invalid_date_of_birth,
        created_at,
        updated_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
